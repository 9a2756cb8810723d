"""Location of SageMaker's NTM training image in each AWS Region.

Source: SageMaker Python SDK 2.x `image_uri_config/ntm.json` (version "1", the
only one) and the SDK's list of Regions with a non-default domain.
"""

from __future__ import annotations

from ntm_spec.errors import Problem, SpecError

NTM_IMAGE_ACCOUNTS: dict[str, str] = {
    "af-south-1": "455444449433",
    "ap-east-1": "286214385809",
    "ap-northeast-1": "351501993468",
    "ap-northeast-2": "835164637446",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "991648021394",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "475088953585",
    "ap-southeast-2": "712309505854",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "469771592824",
    "ca-west-1": "190319476487",
    "cn-north-1": "390948362332",
    "cn-northwest-1": "387376663083",
    "eu-central-1": "664544806723",
    "eu-central-2": "680994064768",
    "eu-north-1": "669576153137",
    "eu-south-1": "257386234256",
    "eu-south-2": "104374241257",
    "eu-west-1": "438346466558",
    "eu-west-2": "644912444149",
    "eu-west-3": "749696950732",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "249704162688",
    "sa-east-1": "855470959533",
    "us-east-1": "382416733822",
    "us-east-2": "404615174143",
    "us-gov-east-1": "237065988967",
    "us-gov-west-1": "226302683700",
    "us-iso-east-1": "490574956308",
    "us-isob-east-1": "765400339828",
    "us-isof-east-1": "108575199400",
    "us-isof-south-1": "124985052026",
    "us-west-1": "632365934929",
    "us-west-2": "174872318107",
}

_DOMAIN_BY_REGION_PREFIX = {
    "cn-": "amazonaws.com.cn",
    "us-iso-": "c2s.ic.gov",
    "us-isob-": "sc2s.sgov.gov",
    "us-isof-": "csp.hci.ic.gov",
}


def _domain(region: str) -> str:
    # Of the matching prefixes the longer one applies, so us-isob- is not read as us-iso-.
    matches = [prefix for prefix in _DOMAIN_BY_REGION_PREFIX if region.startswith(prefix)]
    if not matches:
        return "amazonaws.com"
    return _DOMAIN_BY_REGION_PREFIX[max(matches, key=len)]


def ntm_image_uri(region: str) -> str:
    """Return the NTM training image URI for `region`, or raise SpecError."""
    account = NTM_IMAGE_ACCOUNTS.get(region)
    if account is None:
        raise SpecError(
            [
                Problem(
                    key="region",
                    value=region,
                    rule="SageMaker publishes no NTM image there",
                    fix="Deploy to one of: " + ", ".join(sorted(NTM_IMAGE_ACCOUNTS)),
                )
            ]
        )
    return f"{account}.dkr.ecr.{region}.{_domain(region)}/ntm:1"
