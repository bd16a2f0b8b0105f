"""Integrations with web frameworks; each module imports its framework, so import only yours.

- :mod:`twiliorm.contrib.django`: a Django app (the Twilio settings configure
  the client aliases, system checks report a bad configuration) and webhook
  views (``twilio_view``, ``TwilioWebhookView``, ``validate_twilio_request``)
  that answer 403 unless the request carries a valid X-Twilio-Signature.

Plain WSGI needs no framework: see :mod:`twiliorm.webhooks.wsgi`.
"""
