"""Shared test configuration: hypothesis profiles.

``fast`` (the default) keeps ``pytest`` quick; set ``CBAM_HYPOTHESIS_PROFILE=thorough`` for a
long run with many more examples per property.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fast",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("CBAM_HYPOTHESIS_PROFILE", "fast"))
