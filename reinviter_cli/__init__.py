"""`reinviter`: the operator's command line for a deployed wickr-reinviter (never part of the Lambda artifact).

It lives outside `src/` (the function's CodeUri) on purpose: the function never ships Click, rich or this package,
and this package reuses the function's own code (`reinviter.core.policy.decide`, the Wickr gateway, the settings
model), so the command line and the function cannot disagree about what a ledger record means.
"""
