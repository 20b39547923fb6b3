"""The office desk: cases in a database, the staff web app, review, accounts and the audit log.
Reads flows and media through their own modules; never reaches into the conversation engine."""
