-- CreateIndex
CREATE INDEX "ChannelIdentity_channel_address_idx" ON "ChannelIdentity"("channel", "address");
