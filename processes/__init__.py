"""The process packages: one folder per process with its BPMN, rules, forms, scenarios and Python.

Adding a process is adding its folder and one line to PACKAGES; deploying walks the folders listed
here. EXTENSIONS combines what every package (and the shared Party knowledge) adds to the engine,
refusing a name two of them define.
"""

from pathlib import Path
from types import ModuleType

from engine.party.branch_vote import PARTY_EXTENSIONS
from engine.procedures.extensions import ProcessExtensions, combine
from processes import democratic_appraisal, disclosure_review, member_development, member_disposition

PACKAGES: tuple[ModuleType, ...] = (disclosure_review, member_development, democratic_appraisal, member_disposition)

EXTENSIONS: ProcessExtensions = combine(PARTY_EXTENSIONS, *(package.EXTENSIONS for package in PACKAGES))


def package_folders() -> list[Path]:
    """Each package's folder, as listed in PACKAGES."""
    return [Path(package.__file__).parent for package in PACKAGES if package.__file__ is not None]
