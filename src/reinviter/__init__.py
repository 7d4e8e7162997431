"""wickr-reinviter: resends pending AWS Wickr invitations."""
