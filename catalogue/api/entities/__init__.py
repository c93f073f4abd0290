"""SciCat v3 API: Proposals, Samples, Instruments and Policies (one module each)."""

from . import instruments, policies, proposals, samples

routes = [*proposals.routes, *samples.routes, *instruments.routes, *policies.routes]
