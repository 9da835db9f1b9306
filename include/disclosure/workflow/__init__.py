"""The yearly workflow, one module per concept, no Airflow here:

- ``calendar``: a run's choices as a typed :class:`RunPlan` (report year, units, format, deadline) and the
  dates around it (deadline, reminder);
- ``batches``: the units one mapped instance of the unit tasks collects (one unit up to the threshold, else a
  chunk), with its label in the grid;
- ``steps``: one function per task of the yearly DAG (distribute, the unit steps over the intake, consolidate,
  render, publish), each taking keys and paths and returning small JSON-able values;
- ``notices``: what the units and the admin are told (cover note, reminder, run summary, failure, verdict).

Receiving the inbox is the intake's (``disclosure.intake.inbox``).
"""
