-- CreateIndex
CREATE INDEX "Message_identityId_status_idx" ON "Message"("identityId", "status");
