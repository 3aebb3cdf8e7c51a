"""Admin of the support mailbox: received mails, the unknown-sender queue."""
