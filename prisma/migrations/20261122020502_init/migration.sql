-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "SmsAccentPolicy" AS ENUM ('keep', 'transliterate');

-- CreateEnum
CREATE TYPE "PartnerKind" AS ENUM ('state', 'employment', 'family_benefits', 'agricultural_benefits', 'health_insurance', 'youth', 'local_authority', 'training', 'employers', 'association', 'other');

-- CreateEnum
CREATE TYPE "PersonRole" AS ENUM ('beneficiary', 'facilitator', 'referent', 'professional', 'partner');

-- CreateEnum
CREATE TYPE "AgeBand" AS ENUM ('under_30', 'from_30');

-- CreateEnum
CREATE TYPE "ChannelKind" AS ENUM ('sms', 'telegram', 'slack', 'email', 'web');

-- CreateEnum
CREATE TYPE "ConsentState" AS ENUM ('unknown', 'granted', 'withdrawn');

-- CreateEnum
CREATE TYPE "ConsentAction" AS ENUM ('granted', 'withdrawn', 'opted_out', 'opted_in', 'unreachable');

-- CreateEnum
CREATE TYPE "GroupKind" AS ENUM ('user_group', 'resource_group', 'forum', 'professionals', 'other');

-- CreateEnum
CREATE TYPE "MembershipRole" AS ENUM ('member', 'facilitator');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('active', 'completed', 'expired', 'left', 'interrupted');

-- CreateEnum
CREATE TYPE "AppointmentKind" AS ENUM ('rio', 'workshop', 'information', 'individual', 'forum', 'other');

-- CreateEnum
CREATE TYPE "AppointmentStatus" AS ENUM ('scheduled', 'cancelled');

-- CreateEnum
CREATE TYPE "ParticipationMode" AS ENUM ('convocation', 'invitation');

-- CreateEnum
CREATE TYPE "ParticipationState" AS ENUM ('invited', 'confirmed', 'declined', 'wants_other_date', 'wants_call', 'present', 'absent', 'excused', 'cancelled');

-- CreateEnum
CREATE TYPE "MessageDirection" AS ENUM ('inbound', 'outbound');

-- CreateEnum
CREATE TYPE "MessageStatus" AS ENUM ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'received');

-- CreateEnum
CREATE TYPE "MessagePurpose" AS ENUM ('appointment', 'forum', 'consultation', 'newsletter', 'conversation', 'system');

-- CreateEnum
CREATE TYPE "FireStatus" AS ENUM ('pending', 'running', 'done', 'skipped', 'failed');

-- CreateTable
CREATE TABLE "Organisation" (
    "id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "departementCode" TEXT,
    "phoneRegion" TEXT NOT NULL DEFAULT 'FR',
    "timezone" TEXT NOT NULL DEFAULT 'Europe/Paris',
    "smsAccents" "SmsAccentPolicy" NOT NULL DEFAULT 'transliterate',
    "holidayRegion" TEXT,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Organisation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Territory" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "helpName" TEXT,
    "helpPhone" TEXT,
    "helpEmail" TEXT,
    "helpHours" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Territory_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Partner" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "territoryId" UUID,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "PartnerKind" NOT NULL DEFAULT 'other',
    "website" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Partner_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Person" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "territoryId" UUID,
    "externalRef" TEXT,
    "displayName" TEXT NOT NULL,
    "roles" "PersonRole"[],
    "language" TEXT NOT NULL DEFAULT 'fr',
    "birthYear" INTEGER,
    "ageBand" "AgeBand",
    "referentId" UUID,
    "orientedAt" TIMESTAMP(3),
    "remindersPaused" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Person_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChannelIdentity" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "personId" UUID NOT NULL,
    "channel" "ChannelKind" NOT NULL,
    "address" TEXT NOT NULL,
    "consent" "ConsentState" NOT NULL DEFAULT 'unknown',
    "consentAt" TIMESTAMP(3),
    "consentSource" TEXT,
    "optedOutAt" TIMESTAMP(3),
    "unreachableAt" TIMESTAMP(3),
    "unreachableReason" TEXT,
    "preferred" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChannelIdentity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConsentEvent" (
    "id" UUID NOT NULL,
    "identityId" UUID NOT NULL,
    "action" "ConsentAction" NOT NULL,
    "source" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConsentEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Group" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "territoryId" UUID,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "GroupKind" NOT NULL DEFAULT 'user_group',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Group_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Membership" (
    "id" UUID NOT NULL,
    "groupId" UUID NOT NULL,
    "personId" UUID NOT NULL,
    "role" "MembershipRole" NOT NULL DEFAULT 'member',
    "joinedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leftAt" TIMESTAMP(3),

    CONSTRAINT "Membership_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FlowVersion" (
    "flowId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "definition" JSONB NOT NULL,
    "checksum" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FlowVersion_pkey" PRIMARY KEY ("flowId","version")
);

-- CreateTable
CREATE TABLE "FlowRun" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "personId" UUID NOT NULL,
    "flowId" TEXT NOT NULL,
    "flowVersion" INTEGER NOT NULL,
    "channel" "ChannelKind" NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'active',
    "currentNodeId" TEXT,
    "state" JSONB NOT NULL DEFAULT '{}',
    "stepCount" INTEGER NOT NULL DEFAULT 0,
    "contextType" TEXT,
    "contextId" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3),

    CONSTRAINT "FlowRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FlowResult" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "category" TEXT,
    "input" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FlowResult_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Appointment" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "territoryId" UUID,
    "kind" "AppointmentKind" NOT NULL,
    "externalRef" TEXT,
    "title" TEXT NOT NULL,
    "startsAt" TIMESTAMP(3) NOT NULL,
    "endsAt" TIMESTAMP(3),
    "place" TEXT,
    "address" TEXT,
    "byPhone" BOOLEAN NOT NULL DEFAULT false,
    "capacity" INTEGER,
    "organiserName" TEXT,
    "referentId" UUID,
    "seriesId" TEXT,
    "status" "AppointmentStatus" NOT NULL DEFAULT 'scheduled',
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Appointment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Participation" (
    "id" UUID NOT NULL,
    "appointmentId" UUID NOT NULL,
    "personId" UUID NOT NULL,
    "mode" "ParticipationMode" NOT NULL DEFAULT 'convocation',
    "state" "ParticipationState" NOT NULL DEFAULT 'invited',
    "invitedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "respondedAt" TIMESTAMP(3),
    "attendanceAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Participation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Message" (
    "id" UUID NOT NULL,
    "organisationId" UUID NOT NULL,
    "personId" UUID,
    "identityId" UUID,
    "direction" "MessageDirection" NOT NULL,
    "channel" "ChannelKind" NOT NULL,
    "purpose" "MessagePurpose" NOT NULL DEFAULT 'conversation',
    "status" "MessageStatus" NOT NULL,
    "body" TEXT NOT NULL,
    "payload" JSONB,
    "idempotencyKey" TEXT NOT NULL,
    "providerId" TEXT,
    "parts" INTEGER NOT NULL DEFAULT 1,
    "encoding" TEXT,
    "urgent" BOOLEAN NOT NULL DEFAULT false,
    "notBefore" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "notAfter" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "claimedAt" TIMESTAMP(3),
    "claimedBy" TEXT,
    "failureKind" TEXT,
    "failureReason" TEXT,
    "contextType" TEXT,
    "contextId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "deliveredAt" TIMESTAMP(3),
    "readAt" TIMESTAMP(3),
    "failedAt" TIMESTAMP(3),

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScheduledFire" (
    "id" UUID NOT NULL,
    "organisationId" UUID,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "kind" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "subjectVersion" INTEGER NOT NULL DEFAULT 0,
    "payload" JSONB NOT NULL DEFAULT '{}',
    "dedupeKey" TEXT,
    "status" "FireStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "claimedAt" TIMESTAMP(3),
    "claimedBy" TEXT,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "doneAt" TIMESTAMP(3),

    CONSTRAINT "ScheduledFire_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_slug_key" ON "Organisation"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "Territory_organisationId_code_key" ON "Territory"("organisationId", "code");

-- CreateIndex
CREATE UNIQUE INDEX "Partner_organisationId_code_key" ON "Partner"("organisationId", "code");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "Person_organisationId_territoryId_idx" ON "Person"("organisationId", "territoryId");

-- CreateIndex
CREATE UNIQUE INDEX "Person_organisationId_externalRef_key" ON "Person"("organisationId", "externalRef");

-- CreateIndex
CREATE INDEX "ChannelIdentity_personId_idx" ON "ChannelIdentity"("personId");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelIdentity_organisationId_channel_address_key" ON "ChannelIdentity"("organisationId", "channel", "address");

-- CreateIndex
CREATE INDEX "ConsentEvent_identityId_at_idx" ON "ConsentEvent"("identityId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Group_organisationId_code_key" ON "Group"("organisationId", "code");

-- CreateIndex
CREATE INDEX "Membership_personId_idx" ON "Membership"("personId");

-- CreateIndex
CREATE UNIQUE INDEX "Membership_groupId_personId_key" ON "Membership"("groupId", "personId");

-- CreateIndex
CREATE INDEX "FlowRun_personId_status_idx" ON "FlowRun"("personId", "status");

-- CreateIndex
CREATE INDEX "FlowRun_flowId_flowVersion_idx" ON "FlowRun"("flowId", "flowVersion");

-- CreateIndex
CREATE INDEX "FlowRun_contextType_contextId_idx" ON "FlowRun"("contextType", "contextId");

-- CreateIndex
CREATE UNIQUE INDEX "FlowResult_runId_name_key" ON "FlowResult"("runId", "name");

-- CreateIndex
CREATE INDEX "Appointment_organisationId_startsAt_idx" ON "Appointment"("organisationId", "startsAt");

-- CreateIndex
CREATE UNIQUE INDEX "Appointment_organisationId_externalRef_key" ON "Appointment"("organisationId", "externalRef");

-- CreateIndex
CREATE INDEX "Participation_personId_idx" ON "Participation"("personId");

-- CreateIndex
CREATE UNIQUE INDEX "Participation_appointmentId_personId_key" ON "Participation"("appointmentId", "personId");

-- CreateIndex
CREATE UNIQUE INDEX "Message_idempotencyKey_key" ON "Message"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Message_status_notBefore_idx" ON "Message"("status", "notBefore");

-- CreateIndex
CREATE INDEX "Message_channel_providerId_idx" ON "Message"("channel", "providerId");

-- CreateIndex
CREATE INDEX "Message_personId_createdAt_idx" ON "Message"("personId", "createdAt");

-- CreateIndex
CREATE INDEX "Message_contextType_contextId_idx" ON "Message"("contextType", "contextId");

-- CreateIndex
CREATE UNIQUE INDEX "ScheduledFire_dedupeKey_key" ON "ScheduledFire"("dedupeKey");

-- CreateIndex
CREATE INDEX "ScheduledFire_status_dueAt_idx" ON "ScheduledFire"("status", "dueAt");

-- CreateIndex
CREATE INDEX "ScheduledFire_subjectType_subjectId_idx" ON "ScheduledFire"("subjectType", "subjectId");

-- AddForeignKey
ALTER TABLE "Territory" ADD CONSTRAINT "Territory_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Partner" ADD CONSTRAINT "Partner_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Partner" ADD CONSTRAINT "Partner_territoryId_fkey" FOREIGN KEY ("territoryId") REFERENCES "Territory"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Person" ADD CONSTRAINT "Person_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Person" ADD CONSTRAINT "Person_territoryId_fkey" FOREIGN KEY ("territoryId") REFERENCES "Territory"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Person" ADD CONSTRAINT "Person_referentId_fkey" FOREIGN KEY ("referentId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChannelIdentity" ADD CONSTRAINT "ChannelIdentity_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChannelIdentity" ADD CONSTRAINT "ChannelIdentity_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConsentEvent" ADD CONSTRAINT "ConsentEvent_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "ChannelIdentity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Group" ADD CONSTRAINT "Group_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Group" ADD CONSTRAINT "Group_territoryId_fkey" FOREIGN KEY ("territoryId") REFERENCES "Territory"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "Group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Membership" ADD CONSTRAINT "Membership_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FlowRun" ADD CONSTRAINT "FlowRun_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FlowRun" ADD CONSTRAINT "FlowRun_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FlowResult" ADD CONSTRAINT "FlowResult_runId_fkey" FOREIGN KEY ("runId") REFERENCES "FlowRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Appointment" ADD CONSTRAINT "Appointment_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Appointment" ADD CONSTRAINT "Appointment_territoryId_fkey" FOREIGN KEY ("territoryId") REFERENCES "Territory"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Appointment" ADD CONSTRAINT "Appointment_referentId_fkey" FOREIGN KEY ("referentId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Participation" ADD CONSTRAINT "Participation_appointmentId_fkey" FOREIGN KEY ("appointmentId") REFERENCES "Appointment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Participation" ADD CONSTRAINT "Participation_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "ChannelIdentity"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScheduledFire" ADD CONSTRAINT "ScheduledFire_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
