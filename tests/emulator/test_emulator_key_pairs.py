"""Key pairs as the network claim relies on them (plugins/module_utils/_aws/lease.py).

Each test named in ``key_pair_claims.PROOFS`` proves that patch (AWS facts in its docstring: ImportKeyPair answers
``InvalidKeyPair.Duplicate`` for a taken name, arbitrated by AWS; DeleteKeyPair takes ``KeyPairId``; EC2 is
eventually consistent). The others pin down what stock moto already does like AWS (tags given to ImportKeyPair, a
describe of an unknown name), so that a moto upgrade that breaks them is noticed.
"""

import multiprocessing

import pytest
from botocore.exceptions import ClientError

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.lease import CLAIM_PUBLIC_KEY
from aws_emulator.patches import key_pair_claims

NAME = "cloudreactor-aws-claim-proof"
CONCURRENT_IMPORTS = 4


def import_pair(ec2, name=NAME, tags=()):
    spec = [{"ResourceType": "key-pair", "Tags": list(tags)}] if tags else []
    return ec2.import_key_pair(KeyName=name, PublicKeyMaterial=CLAIM_PUBLIC_KEY.encode(), TagSpecifications=spec)


def error_code(call):
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def listed(ec2, name=NAME):
    try:
        return [pair["KeyPairId"] for pair in ec2.describe_key_pairs(KeyNames=[name])["KeyPairs"]]
    except ClientError as error:
        assert error.response["Error"]["Code"] == "InvalidKeyPair.NotFound"
        return []


def test_proofs_name_tests_of_this_file():
    names = {name for name in globals() if name.startswith("test_")}
    for proof in key_pair_claims.PROOFS:
        path, _, test = proof.partition("::")
        assert path == "test_emulator_key_pairs.py" and test in names, proof


def test_import_of_a_taken_name_answers_duplicate(ec2):
    import_pair(ec2)
    assert error_code(lambda: import_pair(ec2)) == "InvalidKeyPair.Duplicate"


def test_import_keeps_its_tags_and_describe_lists_them(ec2):
    tags = [{"Key": "cloudreactor:claim-holder", "Value": "run 1"}]
    pair = import_pair(ec2, tags=tags)
    assert pair["Tags"] == tags
    assert ec2.describe_key_pairs(KeyNames=[NAME])["KeyPairs"][0]["Tags"] == tags


def test_describe_of_an_unknown_name_answers_not_found(ec2):
    assert error_code(lambda: ec2.describe_key_pairs(KeyNames=[NAME])) == "InvalidKeyPair.NotFound"


def _import_at_once(aws, barrier, answers):
    ec2 = aws.boto3_client("ec2")  # the child's own client and connections
    barrier.wait()
    try:
        answers.put(import_pair(ec2)["KeyPairId"])
    except ClientError as error:
        answers.put(error.response["Error"]["Code"])


def test_concurrent_imports_of_one_name_one_succeeds(aws, ec2):
    """Real processes import one name at the same moment: AWS lets exactly one create it."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(CONCURRENT_IMPORTS)
    answers = context.Queue()
    processes = [
        context.Process(target=_import_at_once, args=(aws, barrier, answers)) for _ in range(CONCURRENT_IMPORTS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    results = sorted(answers.get(timeout=5) for _ in processes)
    winners = [result for result in results if result.startswith("key-")]
    assert len(winners) == 1, results
    assert results.count("InvalidKeyPair.Duplicate") == CONCURRENT_IMPORTS - 1
    assert listed(ec2) == winners


def test_delete_by_key_pair_id_frees_the_name(ec2):
    pair_id = import_pair(ec2)["KeyPairId"]
    ec2.delete_key_pair(KeyPairId=pair_id)
    assert listed(ec2) == []
    assert import_pair(ec2)["KeyPairId"] != pair_id


def test_delete_by_the_id_of_a_replaced_key_pair_keeps_the_new_one(ec2):
    """Why the claim is released by id: a stale holder's delete must not remove the claim that replaced its own."""
    old = import_pair(ec2)["KeyPairId"]
    ec2.delete_key_pair(KeyPairId=old)
    new = import_pair(ec2)["KeyPairId"]
    ec2.delete_key_pair(KeyPairId=old)
    assert listed(ec2) == [new]


@pytest.mark.parametrize("propagation_delay", [30.0], indirect=True)
def test_a_new_key_pair_is_not_listed_during_the_delay(propagation_delay, ec2):
    import_pair(ec2)
    assert listed(ec2) == []
    assert error_code(lambda: import_pair(ec2)) == "InvalidKeyPair.Duplicate"


@pytest.mark.parametrize("propagation_delay", [30.0], indirect=True)
def test_a_deleted_key_pair_lingers_during_the_delay(aws, propagation_delay, ec2):
    aws.set_propagation_delay(0)
    pair_id = import_pair(ec2)["KeyPairId"]
    aws.set_propagation_delay(propagation_delay)
    ec2.delete_key_pair(KeyPairId=pair_id)
    assert listed(ec2) == [pair_id]
    assert error_code(lambda: import_pair(ec2)) == "InvalidKeyPair.Duplicate"
    aws.set_propagation_delay(0)  # the delay over: gone, and its name free
    assert listed(ec2) == []
    import_pair(ec2)
