"""The conversation core: one module per flow, written without Rasa.

- ``eligibility``: the interview that asks what the law needs and gives the
  verdict (the chat form, `juzhu interview` and the staff page all use it);
- ``booking``: booking a visit, looking it up, cancelling and rescheduling it;
- ``repair``: what every flow understands the same way (stop, repeat,
  restart, skip, a person), written once.

``actions/`` adapts Rasa to these; the channels never call them directly
except the staff page's script aid, which drives ``eligibility`` itself.
"""
