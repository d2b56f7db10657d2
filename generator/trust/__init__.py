"""What a template may do on the user's machine, in one place.

`identity` says which template a source really is (a real path, or a git host and path), so trust is
never decided on raw strings; `consent` says what a template may only do with the user's consent
(`--trust`, or a `trusted` entry of the org config) and refuses it otherwise; `guard` holds what no
template may ever do, trusted or not: write at or under `.git`, or read or write outside the new repo.
"""
