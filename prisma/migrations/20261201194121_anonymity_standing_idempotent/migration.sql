-- Standing consultations (no group, no deadline) and idempotent launches.
-- AlterTable
ALTER TABLE "Consultation" ADD COLUMN     "idempotencyKey" TEXT,
ADD COLUMN     "requestHash" TEXT,
ADD COLUMN     "standingKey" TEXT,
ALTER COLUMN "groupId" DROP NOT NULL,
ALTER COLUMN "deadline" DROP NOT NULL;

-- An invite keeps whether the person answered, not when (the time matched the answers).
-- AlterTable
ALTER TABLE "ConsultationInvite" ADD COLUMN     "responded" BOOLEAN NOT NULL DEFAULT false;
UPDATE "ConsultationInvite" SET "responded" = true WHERE "respondedAt" IS NOT NULL;
ALTER TABLE "ConsultationInvite" DROP COLUMN "completedAt",
DROP COLUMN "respondedAt";

-- CreateIndex
CREATE UNIQUE INDEX "Consultation_standingKey_key" ON "Consultation"("standingKey");

-- CreateIndex
CREATE UNIQUE INDEX "Consultation_organisationId_idempotencyKey_key" ON "Consultation"("organisationId", "idempotencyKey");

-- Answers stored so far lose what dated them: time-ordered (v7) ids become random ones
-- (the answers follow their response through ON UPDATE CASCADE), an avis keeps its day.
UPDATE "ConsultationResponse" SET "id" = gen_random_uuid();
UPDATE "ConsultationAnswer" SET "id" = gen_random_uuid();
UPDATE "Avis" SET "id" = gen_random_uuid(), "createdAt" = date_trunc('day', "createdAt");

-- Avis are anonymous: their runs no longer keep named results.
DELETE FROM "FlowResult" r
 USING "FlowRun" f, "FlowVersion" v
 WHERE r."runId" = f."id" AND v."flowId" = f."flowId" AND v."version" = f."flowVersion"
   AND v."kind" = 'avis';

-- What was sent to people in anonymous consultations showed which way they answered.
UPDATE "Message" m SET "body" = '', "payload" = '{"redacted": true}'
  FROM "FlowRun" f, "Consultation" c
 WHERE m."direction" = 'outbound' AND m."status" <> 'queued' AND m."contextType" = 'run'
   AND m."contextId" = f."id"::text AND f."contextType" = 'consultation'
   AND f."contextId" = c."id"::text AND c."anonymous";
