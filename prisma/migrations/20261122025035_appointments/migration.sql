-- CreateEnum
CREATE TYPE "InvitationStatus" AS ENUM ('choosing', 'booked', 'declined', 'no_session', 'cancelled', 'done');

-- CreateEnum
CREATE TYPE "FollowUpKind" AS ENUM ('message', 'call_back', 'no_date', 'no_session');

-- AlterTable
ALTER TABLE "Participation" ADD COLUMN     "confirmedAt" TIMESTAMP(3),
ADD COLUMN     "invitationId" UUID;

-- CreateTable
CREATE TABLE "Invitation" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "personId" UUID NOT NULL,
    "kind" "AppointmentKind" NOT NULL,
    "mode" "ParticipationMode" NOT NULL,
    "status" "InvitationStatus" NOT NULL,
    "territoryId" UUID,
    "ageBand" "AgeBand",
    "options" JSONB NOT NULL DEFAULT '[]',
    "participationId" UUID,
    "awaiting" TEXT,
    "askedAt" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "invitedAt" TIMESTAMP(3) NOT NULL,
    "respondedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Invitation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FollowUp" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "personId" UUID NOT NULL,
    "referentId" UUID,
    "kind" "FollowUpKind" NOT NULL,
    "invitationId" UUID,
    "appointmentId" UUID,
    "messageId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "doneAt" TIMESTAMP(3),

    CONSTRAINT "FollowUp_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RightsInformation" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "personId" UUID NOT NULL,
    "orientedAt" TIMESTAMP(3) NOT NULL,
    "deadline" TIMESTAMP(3) NOT NULL,
    "informedAt" TIMESTAMP(3),
    "informedBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RightsInformation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImportBatch" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "checksum" TEXT NOT NULL,
    "rows" INTEGER NOT NULL,
    "imported" INTEGER NOT NULL,
    "invalid" INTEGER NOT NULL,
    "report" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ImportBatch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Invitation_participationId_key" ON "Invitation"("participationId");

-- CreateIndex
CREATE INDEX "Invitation_organisationId_invitedAt_idx" ON "Invitation"("organisationId", "invitedAt");

-- CreateIndex
CREATE INDEX "Invitation_personId_status_idx" ON "Invitation"("personId", "status");

-- CreateIndex
CREATE INDEX "FollowUp_organisationId_doneAt_createdAt_idx" ON "FollowUp"("organisationId", "doneAt", "createdAt");

-- CreateIndex
CREATE INDEX "FollowUp_personId_idx" ON "FollowUp"("personId");

-- CreateIndex
CREATE INDEX "RightsInformation_organisationId_orientedAt_idx" ON "RightsInformation"("organisationId", "orientedAt");

-- CreateIndex
CREATE UNIQUE INDEX "RightsInformation_personId_orientedAt_key" ON "RightsInformation"("personId", "orientedAt");

-- CreateIndex
CREATE UNIQUE INDEX "ImportBatch_organisationId_kind_checksum_key" ON "ImportBatch"("organisationId", "kind", "checksum");

-- CreateIndex
CREATE INDEX "Participation_appointmentId_state_idx" ON "Participation"("appointmentId", "state");

-- CreateIndex
CREATE INDEX "Participation_invitationId_idx" ON "Participation"("invitationId");

-- AddForeignKey
ALTER TABLE "Participation" ADD CONSTRAINT "Participation_invitationId_fkey" FOREIGN KEY ("invitationId") REFERENCES "Invitation"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Invitation" ADD CONSTRAINT "Invitation_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Invitation" ADD CONSTRAINT "Invitation_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FollowUp" ADD CONSTRAINT "FollowUp_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FollowUp" ADD CONSTRAINT "FollowUp_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FollowUp" ADD CONSTRAINT "FollowUp_referentId_fkey" FOREIGN KEY ("referentId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RightsInformation" ADD CONSTRAINT "RightsInformation_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RightsInformation" ADD CONSTRAINT "RightsInformation_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImportBatch" ADD CONSTRAINT "ImportBatch_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
