"""check_env_examples: every service's .env.example names exactly what the service reads."""

from pathlib import Path

import check_env_examples


def test_the_env_examples_match_what_each_service_reads() -> None:
    assert check_env_examples.problems() == []
    assert check_env_examples.main() == 0


def test_the_hubkit_settings_a_service_uses_are_part_of_what_it_reads() -> None:
    functions = check_env_examples.hubkit_functions()
    backend = check_env_examples.service_variables(check_env_examples.ROOT / "backend", functions)
    identity = check_env_examples.service_variables(
        check_env_examples.ROOT / "services/identity-service", functions
    )
    # identity_settings (token verification) is the backend's, not identity-service's; both use
    # redis_cache, whose REDIS_KEY_PREFIX is read through a module constant.
    assert {"IDENTITY_JWKS_MAX_STALE_SECONDS", "REDIS_KEY_PREFIX", "LOG_FORMAT"} <= backend
    assert "REDIS_KEY_PREFIX" in identity
    assert "IDENTITY_JWKS_MAX_STALE_SECONDS" not in identity


def _tree(root: Path, settings: str, example: str) -> None:
    for service in check_env_examples.SERVICES:
        (root / service / "config" / "settings").mkdir(parents=True)
        (root / service / ".env.example").write_text("# A=\n")
        (root / service / "config" / "settings" / "base.py").write_text('A = env.str("A", "")\n')
    (root / "backend" / "config" / "settings" / "base.py").write_text(settings)
    (root / "backend" / ".env.example").write_text(example)
    (root / "backend" / "config" / "settings" / "test.py").write_text('T = env.str("ONLY_IN_TESTS")\n')
    (root / "backend" / "conftest.py").write_text('os.environ.get("ONLY_IN_CONFTEST")\n')


def test_a_setting_left_out_and_a_stale_one_are_found(tmp_path: Path) -> None:
    hubkit = tmp_path / "hubkit"
    hubkit.mkdir()
    (hubkit / "settings.py").write_text(
        'NAME_ENV = "KIT_PREFIX"\n'
        "def cache(url):\n    return _prefix()\n"
        "def _prefix():\n    return os.environ.get(NAME_ENV)\n"
        'def unused():\n    return env.str("KIT_UNUSED")\n'
    )
    _tree(
        tmp_path,
        'from hubkit.settings import cache\nA = env.int("WORKERS", 2)\nB = os.environ["MODE"]\n',
        "# Workers.\n# WORKERS=2\n# Gone.\n# RENAMED_AWAY=1\n",
    )
    assert check_env_examples.problems(tmp_path, hubkit) == [
        "backend/.env.example: KIT_PREFIX is read but not documented",
        "backend/.env.example: MODE is read but not documented",
        "backend/.env.example: RENAMED_AWAY is documented but not read",
    ]


def test_example_lines_are_the_commented_and_the_set_assignments() -> None:
    text = "# Comment about FOO=1 in prose.\n# A=1\nB=2\n#C=\n  # D=indented is prose\n"
    assert check_env_examples.example_variables(text) == {"A", "B", "C"}
