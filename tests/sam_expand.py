"""Print template.yaml as SAM deploys it: the SAM translator's output (run with the SAM CLI's own interpreter).

The translator pins a pydantic below the function's, so it runs in the SAM CLI's venv (.venv-sam), never in the one
that mirrors Lambda. Usage: `.venv-sam/bin/python tests/sam_expand.py template.yaml` prints the expanded JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# Managed policies SAM may attach by name (implicit roles, `Policies: [Name]`), with their published documents:
# the test names the documents of any policy the expanded template attaches.
MANAGED = {
    "AWSLambdaBasicExecutionRole": "service-role",
    "AWSLambdaSQSQueueExecutionRole": "service-role",
    "AWSXrayWriteOnlyAccess": "",
    "AWSLambdaRole": "service-role",
}


class ManagedPolicyLoader:
    """The translator's loader: managed policy names to ARNs (no IAM call)."""

    def load(self) -> dict[str, str]:
        return {name: f"arn:aws:iam::aws:policy/{path + '/' if path else ''}{name}" for name, path in MANAGED.items()}


def expand(template_path: str) -> dict[str, Any]:
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template = yaml_parse(Path(template_path).read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/reinviter.zip"  # what `sam package` puts there
    expanded: dict[str, Any] = transform(template, {}, ManagedPolicyLoader())
    return expanded


if __name__ == "__main__":
    json.dump(expand(sys.argv[1]), sys.stdout, indent=1, sort_keys=True, default=str)
