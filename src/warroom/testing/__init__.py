"""Test helpers shipped with warroom: real local receivers for notifications."""
