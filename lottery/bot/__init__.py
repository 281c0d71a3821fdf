"""The Telegram bot: live predictions per chat, sessions, schedules, honest stats."""
