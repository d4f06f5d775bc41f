"""Microsoft Teams through Microsoft Graph: delegated or application access, calendar meetings,
attendance reports."""
