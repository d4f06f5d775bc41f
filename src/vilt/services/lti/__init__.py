"""The LTI 1.3 Advantage tool: launches, Deep Linking, NRPS, AGS, proctoring, Ultra extension."""
