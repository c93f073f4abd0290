"""`python -m tests.support.datacite_server`: the stand-in as a server of its own, for demos."""

from __future__ import annotations

import argparse

from .standin import Account, DataCiteStandIn


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="A local DataCite REST API stand-in.")
    parser.add_argument("--port", type=int, default=5800)
    parser.add_argument("--repository", default="FEDCAT.DEMO")
    parser.add_argument("--password", default="demo")
    parser.add_argument("--prefix", action="append", default=None)
    parser.add_argument("--domain", action="append", default=None, help="allowed URL host, or *")
    options = parser.parse_args(argv)
    account = Account(options.password, set(options.prefix or ["10.80000"]))
    if options.domain:
        account.domains = set(options.domain)
    stand_in = DataCiteStandIn({options.repository: account}, port=options.port)
    print(
        f"DataCite stand-in on {stand_in.url}: DATACITE_URL={stand_in.url} "
        f"DATACITE_REPOSITORY_ID={options.repository} DATACITE_PASSWORD={options.password} "
        f"DOI_PREFIX={sorted(account.prefixes)[0]}/",
        flush=True,
    )
    try:
        stand_in._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stand_in._server.server_close()


if __name__ == "__main__":
    main()
