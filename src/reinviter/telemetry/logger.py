"""The one configured Logger (POWERTOOLS_* variables), and the SDK loggers held quiet so nothing logs a request body."""

from __future__ import annotations

import logging

from aws_lambda_powertools import Logger

# The uncaught-exception hook is the Lambda entry point's to install (handler.py): the operators' command line imports
# this module too, and must print its own errors, not a traceback as a JSON log line.
logger = Logger(log_uncaught_exceptions=False)

# The SDKs' own loggers print request parameters and bodies at DEBUG (usernames in a ListUsers query, names in a
# GetUser answer): held at WARNING whatever the root logger's level, so POWERTOOLS_LOG_LEVEL=DEBUG debugs our code.
QUIET_LOGGERS = ("botocore", "boto3", "urllib3", "aws_xray_sdk")
for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.WARNING)
