"""The state machine the Application model mixes in, built from the table (steps.py): one
django-fsm transition per step, with its source, target, conditions and permission. A transition
changes the object in memory only; the runner (grants/transitions.py) saves it in one
transaction, and `ConcurrentTransitionMixin` refuses the save if another transition won."""

from __future__ import annotations

from django_fsm import ConcurrentTransitionMixin, transition

from .steps import STEPS, Step


def _transition_for(step: Step):
    def take(self):
        if step.on_enter is not None:
            step.on_enter(self)

    take.__name__ = take.__qualname__ = step.name
    take.__doc__ = f"{step.label} ({' / '.join(step.source)} → {step.target})"
    return transition(
        field="status",
        source=list(step.source),
        target=step.target,
        conditions=list(step.conditions),
        permission=step.permission,
    )(take)


ApplicationLifecycle = type(
    "ApplicationLifecycle",
    (ConcurrentTransitionMixin,),
    {
        "__module__": __name__,
        "__doc__": __doc__,
        **{name: _transition_for(step) for name, step in STEPS.items()},
    },
)
