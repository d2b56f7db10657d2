"""What a generated repo pins stays pinned: actions by commit SHA, base images by digest, Dependabot watching both."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import RenderRepo

SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+)*$")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}")
# A stand-in for `docker buildx imagetools inspect IMAGE --format ...`: it records the image it was
# asked about and answers with a digest made from that name and the ROUND variable, as a registry
# whose tags moved between two rounds would.
FAKE_DOCKER = """#!/bin/sh
echo "$*" >> "$CALLS"
printf 'sha256:%s\\n' "$(printf '%s %s' "$4" "$ROUND" | sha256sum | cut -c1-64)"
"""


@pytest.fixture(params=["distroless", "alpine", "scratch"])
def repo(request: pytest.FixtureRequest, render_repo: RenderRepo) -> Path:
    return render_repo("pinned", runtime_image=request.param)


def uses_of(workflow: dict) -> list[str]:
    return [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]


def test_every_ci_action_is_pinned_by_commit_sha_with_its_tag_beside_it(repo: Path) -> None:
    text = (repo / ".github" / "workflows" / "ci.yml").read_text()
    uses = [line.split("uses:", 1)[1].strip() for line in text.splitlines() if "uses:" in line]
    assert len(uses) == len(uses_of(yaml.safe_load(text))) > 0
    assert [u for u in uses if not SHA_PIN.match(u)] == []
    # One SHA per action: two tags of the same action in one workflow would be a half-done update.
    pins = {u.split("@")[0]: u for u in uses}
    assert len(pins) == len(set(uses))


def test_dependabot_watches_the_actions_the_module_and_the_base_images(repo: Path) -> None:
    config = yaml.safe_load((repo / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    watched = {(u["package-ecosystem"], u["directory"]) for u in config["updates"]}
    assert watched == {("github-actions", "/"), ("gomod", "/"), ("docker", "/")}
    assert all(u["schedule"]["interval"] for u in config["updates"])


def test_base_images_are_pinned_by_digest_behind_their_tag(repo: Path) -> None:
    froms = [line for line in (repo / "Dockerfile").read_text().splitlines() if line.startswith("FROM ")]
    images = [line.split()[-3] if line.endswith(" AS build") else line.split()[-1] for line in froms]
    assert all(DIGEST.search(i) and ":" in DIGEST.sub("", i) for i in images if i != "scratch"), froms


@pytest.mark.slow
def test_make_pin_images_moves_each_base_image_to_its_tags_current_digest(repo: Path, tmp_path: Path) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is installed with the test extras"
    fake = tmp_path / "docker"
    fake.write_text(FAKE_DOCKER)
    fake.chmod(0o755)
    calls = tmp_path / "calls"
    dockerfile = repo / "Dockerfile"
    before = dockerfile.read_text()

    def pin(round_: str) -> str:
        env = {"PATH": "/usr/bin:/bin", "CALLS": str(calls), "ROUND": round_}
        result = subprocess.run(
            ["make", "--no-print-directory", "pin-images", f"DOCKER={fake}"],
            cwd=repo, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        return dockerfile.read_text()

    first = pin("1")
    asked = [line.split()[3] for line in calls.read_text().splitlines()]
    tags = [DIGEST.sub("", i) for i in re.findall(r"^FROM (?:--platform=\S+ )?(\S+)", before, re.M) if i != "scratch"]
    assert asked == tags  # each base image, by its tag, once
    assert all(line.startswith("buildx imagetools inspect ") for line in calls.read_text().splitlines())
    assert DIGEST.sub("", first) == DIGEST.sub("", before)  # only the digests changed
    assert first != before
    assert pin("1") == first  # pinning again to the same digests changes nothing
    second = pin("2")
    assert second != first and DIGEST.sub("", second) == DIGEST.sub("", before)
    assert len(second.splitlines()) == 12
    lint = subprocess.run([hadolint, "Dockerfile"], cwd=repo, capture_output=True, text=True, timeout=60, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert not (repo / "Dockerfile.pinned").exists()
