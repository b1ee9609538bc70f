/** The grammY Telegram bot: lookups through the API, alert notifications. Empty for now. */
export {};
