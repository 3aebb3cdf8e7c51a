"""The one way a document changes state in this back office.

django-fsm checks a transition's source state and conditions but not its ``permission``
(STACK.md pitfall 1), so every state change - from the admin buttons, services, imports
or commands - goes through :func:`apply_transition`, which checks both, saves, and writes
the journal entry in one transaction.

What a transition does to *other* records (stock moves, purchase orders, budget checks)
is its side effect: declared with :func:`side_effect` in the domain's ``services``
module, so models never import services and the effects of every step are in one place.
"""

import inspect
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import django_fsm as fsm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm.signals import pre_transition

from backoffice.platform.models import ConcurrentEdit


@dataclass(frozen=True)
class TransitionInfo:
    """What the admin needs to draw a transition's button."""

    name: str
    label: str
    form_class: type | None
    variant: str
    icon: str | None


def state_field(model):
    """The model's FSM state field (one per model here)."""
    for field in model._meta.fields:
        if isinstance(field, fsm.FSMFieldMixin):
            return field
    raise LookupError(f"{model.__name__} has no FSM field")


def state_machines():
    """(model, {transition name: transition}) for every model with transitions, across
    the four apps (history copies keep the state field but have no transitions)."""
    from django.apps import apps

    for model in apps.get_models():
        try:
            field = state_field(model)
        except LookupError:
            continue
        transitions = {}
        for t in field.get_all_transitions(model):
            transitions.setdefault(t.name, t)
        if transitions:
            yield model, transitions


def transitions_of(model) -> list[TransitionInfo]:
    """All transitions declared on the model, once each, in declaration order."""
    seen: dict[str, TransitionInfo] = {}
    for t in state_field(model).get_all_transitions(model):
        if t.name in seen:
            continue
        seen[t.name] = TransitionInfo(
            name=t.name,
            label=t.custom.get("label") or gettext_lazy(t.name.replace("_", " ").capitalize()),
            form_class=_form_class(t.custom.get("form")),
            variant=t.custom.get("variant", "default"),
            icon=t.custom.get("icon"),
        )
    return list(seen.values())


def _form_class(form):
    if isinstance(form, str):
        from django.utils.module_loading import import_string

        return import_string(form)
    return form


def available_transitions(obj, user) -> list[str]:
    """Names of the transitions ``user`` may run on ``obj`` now (state, conditions, perm)."""
    getter = getattr(obj, f"get_available_user_{state_field(type(obj)).name}_transitions")
    return [t.name for t in getter(user)]


class TransitionChoice(NamedTuple):
    """A step ``user`` has the permission for from the document's current state: it may be
    run now (``allowed``), or not yet, for the ``reasons`` (unmet conditions' messages)."""

    name: str
    allowed: bool
    reasons: list[str]


def transition_choices(obj, user) -> list[TransitionChoice]:
    """Every transition whose source is ``obj``'s current state and whose permission
    ``user`` has, in declaration order, each with the conditions it still misses.

    What a button bar shows: the steps one may take now, and those one may take once the
    document is ready (disabled, saying why). Steps without the permission are left out:
    someone who may not act learns nothing about the document's readiness."""
    if user is None:
        return []
    source = state_field(type(obj)).value_from_object(obj)
    choices = []
    for info in transitions_of(type(obj)):
        meta = getattr(obj, info.name)._django_fsm
        if not meta.has_transition(source):
            continue
        transition = meta.get_transition(source)
        if not transition.has_perm(obj, user):
            continue
        if any(getattr(c, "decides_the_track", False) and not c(obj)
               for c in transition.conditions):
            continue  # a step of another track (a complaint's, a first-call answer's)
        reasons = _failed_conditions(obj, transition)
        choices.append(TransitionChoice(info.name, not reasons, reasons))
    return choices


def transition_refusal(obj, name: str, user) -> ValidationError | PermissionDenied | None:
    """Why ``user`` may not run transition ``name`` on ``obj`` now, as the exception
    :func:`apply_transition` would raise (``None``: nothing stands in the way).

    Unknown step or wrong state first, then the permission (someone who may not act learns
    that, not why the document is not ready), then the unmet conditions."""
    field = state_field(type(obj))
    method = getattr(obj, name, None)
    if method is None or not hasattr(method, "_django_fsm"):
        return ValidationError(_("Unknown action “%(name)s”.") % {"name": name})
    source = field.value_from_object(obj)
    if not fsm.can_proceed(method, check_conditions=False):
        return ValidationError(
            _("“%(action)s” is not possible while the %(model)s is “%(state)s”.")
            % {"action": transition_label(type(obj), name),
               "model": obj._meta.verbose_name,
               "state": state_label(type(obj), source)}
        )
    transition = method._django_fsm.get_transition(source)
    if user is None or not transition.has_perm(obj, user):
        return PermissionDenied(
            _("You are not allowed to “%(action)s” this %(model)s.")
            % {"action": transition_label(type(obj), name), "model": obj._meta.verbose_name}
        )
    if not fsm.can_proceed(method):
        unmet = _unmet_conditions(obj, method, source)
        return ValidationError(
            _("“%(action)s” is not possible yet: %(reasons)s")
            % {"action": transition_label(type(obj), name), "reasons": "; ".join(unmet)}
        )
    return None


def transition_label(model, name: str) -> str:
    for info in transitions_of(model):
        if info.name == name:
            return str(info.label)
    return name


def state_label(model, value: str) -> str:
    return str(dict(state_field(model).choices).get(value, value))


@transaction.atomic
def apply_transition(obj, name: str, *, actor, note: str = "", **kwargs):
    """Run transition ``name`` on ``obj`` as ``actor``; journal it; return ``obj``.

    Raises ``PermissionDenied`` when the actor lacks the transition's permission and
    ``ValidationError`` when the state or a condition forbids it, or when somebody else
    moved the document first (optimistic locking).
    """
    refusal = transition_refusal(obj, name, actor)
    if refusal is not None:
        raise refusal
    field = state_field(type(obj))
    method = getattr(obj, name)
    source = field.value_from_object(obj)
    obj._workflow_actor = actor  # for side effects that ask who acts
    obj._journal_notes = []
    try:
        if _accepts_actor(method):
            method(actor=actor, **kwargs)
        else:
            method(**kwargs)
    finally:
        obj._workflow_actor = None
    note = "\n".join([n for n in [note, *obj._journal_notes] if n])
    obj._history_user = actor
    obj._change_reason = f"{name}: {note}"[:100] if note else name
    try:
        obj.save()
    except (fsm.ConcurrentTransition, ConcurrentEdit) as exc:
        raise ValidationError(
            _("Someone else changed this %(model)s a moment ago. Reload it and try again.")
            % {"model": obj._meta.verbose_name}
        ) from exc
    obj.events.create(actor=actor, action=name, source=source,
                      target=field.value_from_object(obj), note=note)
    return obj


def journal_note(obj, text: str) -> None:
    """Called by a transition's body: ``text`` joins the user's comment in the journal
    entry of this step (a budget overrun the submitter confirmed ...)."""
    if text:
        notes = getattr(obj, "_journal_notes", None)
        if notes is None:
            obj._journal_notes = notes = []
        notes.append(str(text))


def _accepts_actor(method) -> bool:
    return "actor" in inspect.signature(method).parameters


# -- side effects of transitions ----------------------------------------------------------
_side_effects: dict[tuple[type, str], list] = {}


def side_effect(model, name: str):
    """Declare the decorated function a side effect of transition ``name`` on ``model``.

    It runs after the state, permission and condition checks, just before the
    transition's own body (which records who and when), inside the same transaction: an
    exception it raises refuses the whole step. It is called with the document and those
    of the transition's arguments it names (``quantities`` …), and ``actor`` (who runs the
    step) whether the transition takes it or not. Register it in
    the domain's ``services`` module; the app's ``ready()`` imports that module.
    """

    def register(func):
        _side_effects.setdefault((model, name), []).append(func)
        return func

    return register


@cache
def _parameters(func) -> tuple[set[str], bool]:
    params = inspect.signature(func).parameters
    return set(params), any(p.kind is p.VAR_KEYWORD for p in params.values())


def _run_side_effects(sender, instance, name, method_args=(), method_kwargs=None, **_signal):
    effects = _side_effects.get((sender, name))
    if not effects:
        return
    bound = inspect.signature(getattr(sender, name)).bind(instance, *method_args,
                                                          **(method_kwargs or {}))
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(arguments)))  # the document itself ("self")
    # who acts, also for a step whose method does not take it
    arguments.setdefault("actor", getattr(instance, "_workflow_actor", None))
    for effect in effects:
        names, takes_all = _parameters(effect)
        effect(instance, **(arguments if takes_all
                            else {k: v for k, v in arguments.items() if k in names}))


pre_transition.connect(_run_side_effects, dispatch_uid="backoffice.platform.side_effects")


def _failed_conditions(obj, transition) -> list[str]:
    """The messages of the transition's conditions ``obj`` does not meet (all of them,
    not only the first), empty when every one holds."""
    return [str(getattr(condition, "message", None) or condition.__name__.replace("_", " "))
            for condition in transition.conditions if not condition(obj)]


def _unmet_conditions(obj, method, source) -> list[str]:
    transition = method._django_fsm.get_transition(source)
    return _failed_conditions(obj, transition) or [_("a condition is not met")]


def condition(message, *, track=False):
    """Give an FSM condition a user-facing explanation for when it fails.

    ``track=True`` marks a condition that says which track a document is on (a complaint
    or not, answered on the first call or not): a step whose track condition fails is not
    a step of this document, so its button is left out rather than shown disabled."""

    def decorate(func):
        func.message = message
        func.decides_the_track = track
        return func

    return decorate
