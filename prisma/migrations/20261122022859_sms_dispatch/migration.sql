-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "inReplyTo" UUID,
ADD COLUMN     "pressureAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "DeliveryReceipt" (
    "id" UUID NOT NULL,
    "channel" "ChannelKind" NOT NULL,
    "provider" TEXT NOT NULL,
    "providerId" TEXT,
    "reference" TEXT,
    "address" TEXT,
    "status" TEXT NOT NULL,
    "detail" TEXT,
    "occurredAt" TIMESTAMP(3) NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "messageId" UUID,

    CONSTRAINT "DeliveryReceipt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "DeliveryReceipt_channel_providerId_idx" ON "DeliveryReceipt"("channel", "providerId");

-- CreateIndex
CREATE INDEX "DeliveryReceipt_address_reference_idx" ON "DeliveryReceipt"("address", "reference");

-- CreateIndex
CREATE INDEX "DeliveryReceipt_messageId_idx" ON "DeliveryReceipt"("messageId");

-- CreateIndex
CREATE INDEX "Message_status_urgent_notBefore_id_idx" ON "Message"("status", "urgent" DESC, "notBefore", "id");

-- CreateIndex
CREATE INDEX "Message_personId_pressureAt_idx" ON "Message"("personId", "pressureAt");
