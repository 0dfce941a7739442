"""Forms: one definition per user task, and the server-side validator of its submissions.

A definition is a JSON Schema subset (an object of flat, typed properties) with Chinese titles,
English titles and layout hints; `parse_form_definition` checks it and refuses anything outside the
subset with a list of problems. `validate_submission` turns a task submission into cleaned, typed
values or raises SubmissionInvalid naming every bad field at once. Neither Flask nor the engine is
imported here: the engine calls in to validate, the web layer to render.
"""

from forms.definition import load_form_directory, parse_form_definition
from forms.model import FormDefinition, FormDefinitionError, FormField, FormProblem
from forms.validation import SubmissionInvalid, validate_submission

__all__ = [
    "FormDefinition",
    "FormDefinitionError",
    "FormField",
    "FormProblem",
    "SubmissionInvalid",
    "load_form_directory",
    "parse_form_definition",
    "validate_submission",
]
