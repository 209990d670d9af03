"""Pool arithmetic (plugins/filter/connection_pool.py)."""

from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from tests.lib.loader import load_file

ROOT = Path(__file__).resolve().parents[2]
pool = load_file("plugins/filter/connection_pool.py")


def test_the_seed_article_gets_97_connections():
    # 4 GB cluster: max_connections 100, 3 reserved, one pool in transaction mode.
    assert pool.pgbouncer_pool_size(100, 3) == 97
    assert pool.pgbouncer_pool_sizes(["bench"], 100, 3) == {"bench": 97}


def test_hosts_times_pool_stays_within_the_budget():
    for hosts in range(1, 12):
        size = pool.pgbouncer_pool_size(100, 3, hosts=hosts)
        assert size * hosts <= 97
        assert (size + 1) * hosts > 97 - hosts  # nothing much is wasted
    assert pool.pgbouncer_pool_size(100, 3, hosts=3) == 32
    assert pool.pgbouncer_pool_size(100, 3, hosts=4) == 24


def test_pools_of_a_host_share_its_part():
    sizes = pool.pgbouncer_pool_sizes(["polls", "bench"], 100, 3, hosts=2)
    assert sizes == {"polls": 24, "bench": 24}
    assert 2 * sum(sizes.values()) <= 97


def test_fixed_pools_keep_their_size_and_the_rest_is_shared():
    sizes = pool.pgbouncer_pool_sizes([{"name": "polls", "pool_size": 20}, {"name": "bench"}], 100, 3, hosts=1)
    assert sizes == {"polls": 20, "bench": 77}


def test_a_default_size_applies_to_pools_without_their_own():
    sizes = pool.pgbouncer_pool_sizes([{"name": "polls", "pool_size": 10}, "bench"], 100, 3, default=20)
    assert sizes == {"polls": 10, "bench": 20}
    with pytest.raises(AnsibleFilterError, match="the pools do not fit"):
        pool.pgbouncer_pool_sizes(["polls"], 100, 3, hosts=2, default=49)


def test_other_clients_and_reserve_pools_count():
    sizes = pool.pgbouncer_pool_sizes(["polls", "bench"], 30, 3, hosts=2, other=7)
    assert sizes == {"polls": 5, "bench": 5}
    sizes = pool.pgbouncer_pool_sizes(["polls"], 100, 3, hosts=1, reserve_pool=5)
    assert sizes == {"polls": 92}
    assert pool.server_budget(100, 3, hosts=2, other=7) == 45


def test_impossible_numbers_fail_with_the_arithmetic():
    with pytest.raises(AnsibleFilterError, match=r"max_connections 10 - reserved 3 - other clients 5 = 2"):
        pool.pgbouncer_pool_size(10, 3, hosts=3, other=5)
    with pytest.raises(AnsibleFilterError, match="the pools do not fit"):
        pool.pgbouncer_pool_sizes([{"name": "polls", "pool_size": 60}, "bench"], 100, 3, hosts=2)
    with pytest.raises(AnsibleFilterError, match="the pools do not fit"):
        pool.pgbouncer_pool_sizes(["a", "b", "c"], 10, 3, hosts=3)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((["polls"], "many", 3), "max_connections must be a whole number"),
        ((["polls"], 100, -1), "reserved must not be negative"),
        ((["polls"], 100, 3, 0), "hosts must be at least 1"),
        (([], 100, 3), "must not be empty"),
        ((["polls", "polls"], 100, 3), "unique"),
        (("polls", 100, 3), "must be a list"),
        (([{"pool_size": 3}], 100, 3), "mapping with `name`"),
    ],
)
def test_bad_input_is_named(args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        pool.pgbouncer_pool_sizes(*args)


def test_string_numbers_from_templates_are_accepted():
    assert pool.pgbouncer_pool_sizes(["polls"], "100", "3", "1") == {"polls": 97}


def test_file_descriptor_limit_follows_max_client_conn():
    assert pool.pgbouncer_nofile(100, 20) == 1024
    assert pool.pgbouncer_nofile(5000, {"polls": 48, "bench": 48}) == 5000 + 96 + 100
    assert pool.pgbouncer_nofile(5000, {"polls": 48}, reserve_pool=5, margin=0) == 5053


def test_filters_are_registered():
    names = pool.FilterModule().filters()
    assert {"pgbouncer_pool_sizes", "pgbouncer_pool_size", "pgbouncer_nofile", "pgbouncer_server_budget"} <= set(names)
