-- CreateTable
CREATE TABLE "TelegramUpdate" (
    "id" UUID NOT NULL,
    "botId" BIGINT NOT NULL,
    "updateId" BIGINT NOT NULL,
    "chatKey" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL,
    "lastError" TEXT,

    CONSTRAINT "TelegramUpdate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "TelegramUpdate_botId_chatKey_updateId_idx" ON "TelegramUpdate"("botId", "chatKey", "updateId");

-- CreateIndex
CREATE UNIQUE INDEX "TelegramUpdate_botId_updateId_key" ON "TelegramUpdate"("botId", "updateId");
