"""Durable background jobs in PostgreSQL, run by the server processes themselves.

- ``queue.PostgresJobQueue``: submit, get, cancel (the ``resources.ports.JobQueue`` port), and
  the runner's side: claim, checkpoint, finish, fail.
- ``runner.JobRunner``: claims jobs in the background and runs their handlers; a job whose
  process died is claimed again and resumes from its last checkpoint.
- ``context.JobContext``: what a handler gets (parameters, last checkpoint, ``checkpoint()``).
- ``handlers.HANDLERS``: the handler of each job kind.
"""
