"""Reference data kept in the process: read once, read again as soon as a row behind it
changes (in this process or another), never a copy of rows a rollback took back."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction

from backoffice.platform import reference
from backoffice.platform.reference import ReferenceData

GROUPS = ReferenceData("test.group-names", "auth.Group", "auth.Group_permissions")


class Reads:
    """The group names as the database has them, counting the reads."""

    def __init__(self):
        self.count = 0

    def __call__(self):
        self.count += 1
        return sorted(Group.objects.filter(name__startswith="t-").values_list("name", flat=True))

    def many(self, keys):
        self.count += 1
        return {key: Group.objects.filter(name=key).exists() for key in keys}


@pytest.fixture
def reads(db):
    return Reads()


def test_a_copy_is_kept_until_a_row_changes(reads):
    Group.objects.create(name="t-a")
    assert GROUPS.get("names", reads) == ["t-a"]
    assert GROUPS.get("names", reads) == ["t-a"]
    assert reads.count == 1
    group = Group.objects.create(name="t-b")
    assert GROUPS.get("names", reads) == ["t-a", "t-b"]
    group.name = "t-c"
    group.save()
    assert GROUPS.get("names", reads) == ["t-a", "t-c"]
    group.delete()
    assert GROUPS.get("names", reads) == ["t-a"]
    assert reads.count == 4


def test_a_many_to_many_change_counts(reads):
    group = Group.objects.create(name="t-a")
    GROUPS.get("names", reads)
    group.permissions.add(Permission.objects.first())
    GROUPS.get("names", reads)
    group.permissions.clear()
    GROUPS.get("names", reads)
    assert reads.count == 3


def test_another_process_s_change_and_a_cleared_cache(reads):
    """The version lives in the shared cache: another process's write moves it; a cache
    that lost it (cleared, evicted) costs a read, never an old copy."""
    Group.objects.create(name="t-a")
    GROUPS.get("names", reads)
    reference._new_version(GROUPS.cache_key)  # what the other process's signal does
    GROUPS.get("names", reads)
    cache.clear()
    Group.objects.filter(name="t-a").update(name="t-z")  # no signal: only a cache miss sees it
    assert GROUPS.get("names", reads) == ["t-z"]
    assert reads.count == 3


def test_a_bulk_write_says_so(reads):
    from backoffice.platform.bulk import bulk_insert, insert_rows

    Group.objects.create(name="t-a")
    GROUPS.get("names", reads)
    Group.objects.bulk_create([Group(name="t-b")])
    reference.model_changed(Group)
    assert GROUPS.get("names", reads) == ["t-a", "t-b"]
    bulk_insert(Group, [Group(name="t-c")])  # generate_data's writers
    assert GROUPS.get("names", reads) == ["t-a", "t-b", "t-c"]
    insert_rows(Group, [{"name": "t-d"}])
    assert GROUPS.get("names", reads) == ["t-a", "t-b", "t-c", "t-d"]


def test_several_keys_missing_ones_in_one_read(reads):
    Group.objects.create(name="t-a")
    assert GROUPS.get_many(["t-a", "t-b"], reads.many) == {"t-a": True, "t-b": False}
    assert GROUPS.get_many(["t-b", "t-a"], reads.many) == {"t-b": False, "t-a": True}
    assert reads.count == 1
    with pytest.raises(KeyError):
        GROUPS.get_many(["t-c"], lambda keys: {})


def test_the_writer_reads_its_own_rows_until_its_transaction_ends(reads):
    Group.objects.create(name="t-a")
    GROUPS.get("names", reads)
    with transaction.atomic():
        Group.objects.create(name="t-b")
        assert GROUPS.get("names", reads) == ["t-a", "t-b"]
        assert GROUPS.get("names", reads) == ["t-a", "t-b"]  # read again: nothing kept
        assert reads.count == 3
    assert GROUPS.get("names", reads) == ["t-a", "t-b"]
    assert GROUPS.get("names", reads) == ["t-a", "t-b"]
    assert reads.count == 4


def test_a_rollback_leaves_no_copy_of_its_rows(reads):
    Group.objects.create(name="t-a")
    GROUPS.get("names", reads)
    with pytest.raises(RuntimeError), transaction.atomic():
        Group.objects.create(name="t-b")
        assert GROUPS.get("names", reads) == ["t-a", "t-b"]
        raise RuntimeError
    assert GROUPS.get("names", reads) == ["t-a"]
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint rolled back
            Group.objects.create(name="t-c")
            GROUPS.get("names", reads)
            raise RuntimeError
        assert GROUPS.get("names", reads) == ["t-a"]


def test_a_cache_that_keeps_nothing_keeps_nothing(reads, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    Group.objects.create(name="t-a")
    GROUPS.get("names", reads)
    GROUPS.get("names", reads)
    assert reads.count == 2


@pytest.mark.django_db(transaction=True)
def test_committed_and_rolled_back_transactions():
    """Real commits (no test case's transaction around): the version moves after the
    commit, not after a rollback; other processes' copies stay good until the commit."""
    reads = Reads()
    Group.objects.create(name="t-a")
    GROUPS.get("names", reads)
    before = cache.get(GROUPS.cache_key)
    with transaction.atomic():
        Group.objects.create(name="t-b")
        assert cache.get(GROUPS.cache_key) == before  # the others still read t-a alone
    assert cache.get(GROUPS.cache_key) != before
    assert GROUPS.get("names", reads) == ["t-a", "t-b"]
    after = cache.get(GROUPS.cache_key)
    with pytest.raises(RuntimeError), transaction.atomic():
        Group.objects.create(name="t-c")
        GROUPS.get("names", reads)
        raise RuntimeError
    assert cache.get(GROUPS.cache_key) == after
    assert GROUPS.get("names", reads) == ["t-a", "t-b"]
    assert reads.count == 3
