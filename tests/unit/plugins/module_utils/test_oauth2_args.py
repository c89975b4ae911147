"""The shared OAuth2 option spec: secrets hidden, defaults that do not count as "given"."""

from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_args import (
    OAUTH2_ENV,
    oauth2_argument_spec,
    oauth2_params_given,
    token_module_kwargs,
)


def test_secrets_are_no_log_and_look_alikes_are_not():
    spec = oauth2_argument_spec()
    for name in ("client_secret", "private_key", "private_key_passphrase"):
        assert spec[name]["no_log"] is True, name
    for name in ("key_id", "token_url", "token_issuer"):
        assert spec[name]["no_log"] is False, name


def test_no_http_options_in_the_oauth2_spec():
    assert not {"validate_certs", "ca_path", "timeout", "retries"} & set(oauth2_argument_spec())


def test_defaults_do_not_count_as_given():
    params = dict((name, spec.get("default")) for name, spec in oauth2_argument_spec().items())
    assert oauth2_params_given(params) is False
    assert oauth2_params_given(dict(params, validate_token=True)) is True
    assert oauth2_params_given(dict(params, client_id="app")) is True


def test_every_env_fallback_names_an_option():
    assert set(OAUTH2_ENV) <= set(oauth2_argument_spec())
    assert all(name.startswith("HOOP_") for name in OAUTH2_ENV.values())


def test_token_module_kwargs_merge_oauth2_and_http_options():
    kwargs = token_module_kwargs()
    assert kwargs["supports_check_mode"] is True
    assert {"client_id", "validate_certs", "ca_path", "timeout"} <= set(kwargs["argument_spec"])
    assert ("client_secret", "private_key") in kwargs["mutually_exclusive"]
