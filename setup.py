"""Ship the top-level ``templates/`` and ``migrations/`` folders inside the package.

They stay at the top of the repository, where people look for them, and install as
``app/templates`` and ``app/migration_scripts`` (in a wheel and, through setuptools'
editable finder, in a checkout alike); app/resources.py finds them with
``importlib.resources``. Everything else about the build is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

RESOURCE_FOLDERS = {"app.templates": "templates", "app.migration_scripts": "migrations"}
NOT_PACKAGES = ["*__pycache__*"]


def resource_packages() -> list[str]:
    packages = []
    for package, folder in RESOURCE_FOLDERS.items():
        packages.append(package)
        found = find_namespace_packages(where=folder, exclude=NOT_PACKAGES)
        packages += [f"{package}.{sub}" for sub in found]
    return packages


setup(
    packages=[
        *find_namespace_packages(
            include=["app", "app.*", "workers", "workers.*"], exclude=NOT_PACKAGES
        ),
        *resource_packages(),
    ],
    package_dir=RESOURCE_FOLDERS,
)
