"""One small module per conversation state or flow (Cofacts' LINE bot style); `router` picks one."""
