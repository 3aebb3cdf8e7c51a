"""The support mailbox, read over IMAP: new mails become tickets, replies become messages."""
