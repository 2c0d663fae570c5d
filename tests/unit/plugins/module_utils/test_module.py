"""NetworkModule overrides amazon.aws's private ``_should_inject_warnings`` only where amazon.aws defines it."""

import importlib

import pytest
from ansible_collections.amazon.aws.plugins.module_utils import modules

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import module


@pytest.fixture
def module_utils_on_amazon_aws_without_the_method():
    """module.py loaded against an AnsibleAWSModule without ``_should_inject_warnings``; afterwards the method is
    put back and module.py is loaded again, so other tests see the real one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delattr(modules.AnsibleAWSModule, "_should_inject_warnings")
        yield importlib.reload(module)
    importlib.reload(module)


def test_warnings_are_not_copied_into_the_result_where_amazon_aws_would_copy_them():
    assert "_should_inject_warnings" in vars(module.NetworkModule)
    assert module.NetworkModule._should_inject_warnings(None) is False


def test_an_amazon_aws_without_the_private_method_is_used_unchanged(module_utils_on_amazon_aws_without_the_method):
    assert not hasattr(module_utils_on_amazon_aws_without_the_method.NetworkModule, "_should_inject_warnings")
