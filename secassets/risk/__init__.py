"""The one published risk rubric: bands, levels, the cue vocabulary and `assess(observation)`.

    from secassets.risk import Observation, ObservedObject, assess
    assess(Observation(zone="side_gate", time_of_day="late_night",
                       objects=[ObservedObject(object_class="person")], cues={"loitering", "face_concealed"}))
"""

from secassets.risk.cues import CUE_RULES, CUES, Cue
from secassets.risk.observation import Observation, ObservedObject
from secassets.risk.rubric import KeyPoint, RiskAssessment, assess

__all__ = ["CUES", "CUE_RULES", "Cue", "KeyPoint", "Observation", "ObservedObject", "RiskAssessment", "assess"]
