"""Integrations with web frameworks; each module imports its framework, so import only yours.

- :mod:`twiliorm.contrib.django`: ``validate_twilio_request``, a view decorator
  that answers 403 unless the request carries a valid X-Twilio-Signature.

Plain WSGI needs no framework: see :mod:`twiliorm.webhooks.wsgi`.
"""
