"""Conversations between a group and staff, staff's notes, reviewers' questions through staff, and
requests for information (补充材料)."""
