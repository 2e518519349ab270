"""The strategies live in ``cbam.testing.strategies``; re-exported for the test modules."""

from cbam.testing.strategies import *  # noqa: F403
from cbam.testing.strategies import (  # noqa: F401
    CLINKER_HEADINGS,
    EXEMPT_ORIGINS,
    FEATURED_ORIGINS,
    NEEDS_ACTUAL_VALUES,
    NON_CBAM_CODES,
    actual_value_panels,
    import_panels,
    routes_of,
    to_frame,
    with_row_id,
)
