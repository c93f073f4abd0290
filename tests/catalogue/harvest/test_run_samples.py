"""The shared third-party sample files through the whole harvest (skipped when absent)."""

import shutil

import pytest

from catalogue.harvest.run import harvest
from catalogue.models import Attachment, DataFile, Dataset, HarvestRecord, Instrument, Technique

from .conftest import SAMPLES

pytestmark = pytest.mark.django_db


def test_every_sample_file_is_harvested_skipped_with_a_reason_or_listed(sample, tmp_path):
    tree = tmp_path / "samples"
    for relative in SAMPLES:
        target = tree / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(sample(relative), target)

    first = harvest([tree], owner_group="facility", workers=0)
    again = harvest([tree], owner_group="facility", workers=0)

    skipped = {r.source.rsplit("/", 1)[1] for r in HarvestRecord.objects.filter(state="skipped")}
    coda = HarvestRecord.objects.get(source__endswith="small-coda.hdf").dataset
    assert (first.new, first.failed, first.skipped) == (14, 0, 2)
    assert (again.unchanged, again.new, again.updated) == (14, 0, 0)
    assert skipped == {"external_angles.hdf5", "h5py-wheel__vlen_string_dset.h5"}
    assert coda.proposal_ids == ["443503"] and coda.dataset_name == "odin"
    assert Instrument.objects.filter(unique_name="ODIN").exists()
    assert Technique.objects.exists()
    assert Attachment.objects.count() >= 8
    assert Dataset.objects.count() == 14
    assert not DataFile.objects.filter(chk="").exists()
