"""infra/template.yaml (SAM) translated to plain CloudFormation, for checkov to scan what deploys.

Usage: python infra/sam_to_cfn.py infra/template.yaml OUT.json

Run with the dev venv's python (samtranslator comes with aws-sam-cli). Offline: no function names
a managed policy in `Policies` (their roles are plain `AWS::IAM::Role`s), so IAM is never asked.

Each `AWS::Serverless::Function`'s `Metadata` is carried to the resources SAM generates from it
(samtranslator's passthrough_metadata), so a `checkov: skip:` written on the
function applies to the translated `AWS::Lambda::Function`. A skip without a `comment` (the
justification a reviewer reads) fails here, before checkov runs.
"""

import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """Managed-policy names to ARNs, for `Policies: [AWSSomething]`; the template uses none."""

    def load(self):
        return {}


def unjustified_skips(template: dict) -> list[str]:
    """`id` of each `Metadata.checkov.skip` entry that has no comment, with its resource."""
    missing = []
    for logical_id, resource in template.get("Resources", {}).items():
        skips = ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip") or []
        for skip in skips:
            if not isinstance(skip, dict) or not str(skip.get("comment") or "").strip():
                check = skip.get("id") if isinstance(skip, dict) else skip
                missing.append(f"{logical_id}: {check}")
    return missing


def main(source: str, target: str) -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
    with open(source, encoding="utf-8") as f:
        sam = yaml_parse(f.read())
    missing = unjustified_skips(sam)
    if missing:
        sys.exit(f"{source}: checkov checks skipped without a comment saying why: " + ", ".join(missing))
    # `sam package` would upload each function's local CodeUri to S3; a placeholder stands in.
    for resource in sam.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = "s3://code-bucket/function.zip"
    cfn = transform(sam, {}, NoManagedPolicies(), passthrough_metadata=True)
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    with open(target, "w", encoding="utf-8") as f:
        json.dump(cfn, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
