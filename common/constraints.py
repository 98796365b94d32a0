"""A model's constraints validated as Django validates them, the plain ones without a query.

Django's `Model.validate_constraints()` asks the database about every check
constraint — a SELECT in a savepoint, three statements each: twelve for a
posted extension — and about a conditional unique constraint even when its
condition does not hold for the row. A document's conditions are comparisons
of its own fields, with constants or with one another, which `evaluate()`
decides as SQL does: a comparison with NULL is unknown, and a check whose
condition is unknown passes (Django's `COALESCE(condition, true)`). Whatever
else a condition holds — a function, a join, a lookup not in `COMPARISONS` —
is left to Django, so every refusal is the one Django raises, word for word
(tests/subscriptions/test_posting_cost.py compares the two).
"""

import numbers
import operator

from django.core.exceptions import ValidationError
from django.db import router
from django.db.models import F, Q
from django.db.models.constraints import CheckConstraint, UniqueConstraint

COMPARISONS = {
    "exact": operator.eq,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


class Undecided(Exception):
    """Not a condition decided here: Django asks the database."""


class Excluded(Exception):
    """The condition names a field left out of validation: Django skips the constraint."""


def validate_constraints(instance, exclude=None) -> None:
    """`Model.validate_constraints()`, with the conditions decided here where they can be."""
    exclude = set(exclude or ())
    using = router.db_for_write(type(instance), instance=instance)
    errors = {}
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                if not _settled(constraint, model_class, instance, exclude):
                    constraint.validate(model_class, instance, exclude=exclude, using=using)
            except ValidationError as error:  # collected as Django collects them
                if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                    errors.setdefault(constraint.fields[0], []).append(error)
                else:
                    errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _settled(constraint, model_class, instance, exclude) -> bool:
    """Whether the constraint was decided here (a broken check raises as Django's does)."""
    condition = getattr(constraint, "condition", None)
    if not isinstance(constraint, CheckConstraint | UniqueConstraint) or condition is None:
        return False
    values, excluded = _field_values(model_class, instance, exclude)
    try:
        holds = evaluate(Q(condition), values, excluded)
    except Excluded:
        return True
    except Undecided:
        return False
    if isinstance(constraint, UniqueConstraint):
        # It binds only the rows its condition holds for: another one is free.
        return holds is False
    if holds is False:
        raise ValidationError(
            constraint.get_violation_error_message(), code=constraint.violation_error_code
        )
    return True


def _field_values(model_class, instance, exclude) -> tuple[dict, set]:
    """The instance's values by field name, as Django's `_get_field_expression_map()`."""
    values, excluded = {}, set()
    for field in model_class._meta.local_concrete_fields:
        if field.name in exclude:
            excluded.add(field.name)
        elif not field.generated:
            values[field.name] = getattr(instance, field.attname)
    if "pk" in exclude:
        excluded.add("pk")
    else:
        values["pk"] = instance.pk
    return values, excluded


def evaluate(condition: Q, values: dict, excluded=frozenset()) -> bool | None:
    """`condition` over `values`: True, False, or None when unknown (SQL's NULL)."""
    results = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(evaluate(child, values, excluded))
        elif isinstance(child, tuple) and len(child) == 2:
            results.append(_lookup(*child, values, excluded))
        else:
            raise Undecided(child)
    if condition.connector == Q.AND:
        result = False if False in results else None if None in results else True
    elif condition.connector == Q.OR:
        result = True if True in results else None if None in results else False
    else:
        raise Undecided(condition.connector)
    if condition.negated and result is not None:
        result = not result
    return result


def _value(name, values, excluded):
    if name in excluded:
        raise Excluded(name)
    if name not in values:
        raise Undecided(name)
    value = values[name]
    if hasattr(value, "resolve_expression"):
        raise Undecided(name)
    return value


def _lookup(path: str, wanted, values: dict, excluded) -> bool | None:
    name, _, lookup = path.partition("__")
    lookup = lookup or "exact"
    value = _value(name, values, excluded)
    if isinstance(wanted, F):
        wanted = _value(wanted.name, values, excluded)
    elif hasattr(wanted, "resolve_expression"):
        raise Undecided(path)
    if lookup == "exact" and wanted is None:  # as the ORM reads `field=None`
        lookup, wanted = "isnull", True
    if lookup == "isnull":
        if not isinstance(wanted, bool):
            raise Undecided(path)
        return (value is None) == wanted
    if lookup == "in":
        wanted = list(wanted)
        if None in wanted:
            raise Undecided(path)
        if value is None:
            return None
        if not all(_comparable(value, item) for item in wanted):
            raise Undecided(path)
        return value in wanted
    if lookup not in COMPARISONS:
        raise Undecided(path)
    if value is None or wanted is None:
        return None
    if not _comparable(value, wanted):
        raise Undecided(path)
    return COMPARISONS[lookup](value, wanted)


def _comparable(a, b) -> bool:
    """Values Python compares as the database does: numbers, or two of one type (a
    str-based choice is a str)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b)
    if isinstance(a, numbers.Number) and isinstance(b, numbers.Number):
        return True
    if isinstance(a, str) and isinstance(b, str):
        return True
    return type(a) is type(b)
