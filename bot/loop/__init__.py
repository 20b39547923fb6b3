"""The loop back to the citizen: what the office decides (bot/desk/notices.py) and reminders
become office events in the citizen's chat, answered by the engine like a message (dispatch,
reminders); what became of each message comes back to the desk (receipts)."""
