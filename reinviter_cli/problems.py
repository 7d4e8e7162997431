"""Every failure the command reports (exit 1) with what to do about it; usage errors stay Click's (exit 2)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from reinviter.adapters.aws import error_code
from reinviter.core.errors import WickrAccessError, WickrError, WickrNetworkNotFound

ACCESS_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "ForbiddenError"})
CREDENTIAL_CODES = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException"}
)


class Problem(click.ClickException):
    """A problem the command reports and exits 1 for (Click prints `Error: <message>` on stderr)."""

    exit_code = 1


client_error_code = error_code  # the function's own reader of AWS error codes


@contextmanager
def reported() -> Iterator[None]:
    """Turn the AWS and Wickr failures a command can meet into one line that says what to do."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise Problem(
            "no AWS credentials found: set AWS_PROFILE (or --profile), run `aws sso login`, or export"
            " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ) from None
    except NoRegionError:
        raise Problem("no AWS region: pass --region or set AWS_REGION") from None
    except ProfileNotFound as error:
        raise Problem(f"{error}: check --profile or AWS_PROFILE") from None
    except EndpointConnectionError as error:
        raise Problem(f"cannot reach {error.kwargs.get('endpoint_url')}: check the region and the network") from None
    except WickrNetworkNotFound as error:
        raise Problem(f"{error}: check the network id") from None
    except WickrAccessError as error:
        raise Problem(f"Wickr refused the call ({error}): check the credentials' wickr:* permissions") from None
    except WickrError as error:
        raise Problem(f"Wickr call failed: {error}") from None
    except ClientError as error:
        code = client_error_code(error)
        operation = error.operation_name
        message = error.response.get("Error", {}).get("Message", "")
        if code in ACCESS_CODES:
            raise Problem(
                f"{operation} was refused ({code}): the credentials need that permission. {message}"
            ) from None
        if code in CREDENTIAL_CODES:
            raise Problem(f"{operation}: the credentials were refused ({code}): refresh them. {message}") from None
        raise Problem(f"{operation} failed: {code}: {message}") from None
    except BotoCoreError as error:
        raise Problem(f"AWS request failed: {error}") from None
