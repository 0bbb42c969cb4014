-- CreateEnum
CREATE TYPE "ConsultationStatus" AS ENUM ('open', 'closed');

-- AlterTable
ALTER TABLE "FlowRun" ADD COLUMN     "identityId" UUID;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "deferrals" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "deferredReason" TEXT;

-- AlterTable
ALTER TABLE "Organisation" ADD COLUMN     "smsProvider" TEXT NOT NULL DEFAULT 'log';

-- CreateTable
CREATE TABLE "Consultation" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "groupId" UUID NOT NULL,
    "flowId" TEXT NOT NULL,
    "flowVersion" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "anonymous" BOOLEAN NOT NULL DEFAULT true,
    "minAnswers" INTEGER NOT NULL DEFAULT 5,
    "reminders" JSONB NOT NULL DEFAULT '[]',
    "status" "ConsultationStatus" NOT NULL DEFAULT 'open',
    "launchedAt" TIMESTAMP(3) NOT NULL,
    "deadline" TIMESTAMP(3) NOT NULL,
    "closedAt" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Consultation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConsultationInvite" (
    "id" UUID NOT NULL,
    "consultationId" UUID NOT NULL,
    "personId" UUID NOT NULL,
    "channel" "ChannelKind",
    "runId" UUID,
    "invitedAt" TIMESTAMP(3) NOT NULL,
    "respondedAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "remindersSent" INTEGER NOT NULL DEFAULT 0,
    "unreachable" TEXT,

    CONSTRAINT "ConsultationInvite_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConsultationResponse" (
    "id" UUID NOT NULL,
    "consultationId" UUID NOT NULL,
    "responseKey" TEXT NOT NULL,
    "lastNodeId" TEXT,
    "completed" BOOLEAN NOT NULL DEFAULT false,
    "day" DATE NOT NULL,

    CONSTRAINT "ConsultationResponse_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConsultationAnswer" (
    "id" UUID NOT NULL,
    "responseId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "category" TEXT,

    CONSTRAINT "ConsultationAnswer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Avis" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "groupId" UUID,
    "territoryId" UUID,
    "theme" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "voiceRef" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "readAt" TIMESTAMP(3),

    CONSTRAINT "Avis_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LinkCode" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "personId" UUID NOT NULL,
    "channel" "ChannelKind" NOT NULL,
    "codeHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LinkCode_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Consultation_organisationId_status_idx" ON "Consultation"("organisationId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "ConsultationInvite_consultationId_personId_key" ON "ConsultationInvite"("consultationId", "personId");

-- CreateIndex
CREATE UNIQUE INDEX "ConsultationResponse_consultationId_responseKey_key" ON "ConsultationResponse"("consultationId", "responseKey");

-- CreateIndex
CREATE UNIQUE INDEX "ConsultationAnswer_responseId_name_key" ON "ConsultationAnswer"("responseId", "name");

-- CreateIndex
CREATE INDEX "Avis_organisationId_createdAt_idx" ON "Avis"("organisationId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "LinkCode_codeHash_key" ON "LinkCode"("codeHash");

-- CreateIndex
CREATE INDEX "LinkCode_personId_idx" ON "LinkCode"("personId");

-- AddForeignKey
ALTER TABLE "Consultation" ADD CONSTRAINT "Consultation_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Consultation" ADD CONSTRAINT "Consultation_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConsultationInvite" ADD CONSTRAINT "ConsultationInvite_consultationId_fkey" FOREIGN KEY ("consultationId") REFERENCES "Consultation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConsultationResponse" ADD CONSTRAINT "ConsultationResponse_consultationId_fkey" FOREIGN KEY ("consultationId") REFERENCES "Consultation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConsultationAnswer" ADD CONSTRAINT "ConsultationAnswer_responseId_fkey" FOREIGN KEY ("responseId") REFERENCES "ConsultationResponse"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Avis" ADD CONSTRAINT "Avis_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Avis" ADD CONSTRAINT "Avis_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE SET NULL ON UPDATE CASCADE;
