"""Worked solutions to the exercises: the same files as exercises/, with every rule written and derived.

Try the exercise first; then ``python -m exercises.check --solution NAME``
prints one solution, and ``python -m exercises.check --solutions`` grades
these files (all pass).
"""
