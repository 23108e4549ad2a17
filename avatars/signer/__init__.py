"""The signer's foundations: pose tracks as .pose files, the hand skeleton and its forward
kinematics, the body and arms, and the lexicon of authored signs (ASL `ase`, CSL `csl`).

    lexicon = load_lexicon("ase")
    track = lexicon.track("THANK-YOU")                    # a PoseTrack, by FK from its description
    write_pose(fingerspell(lexicon, "ANCHOR"), Path("anchor.pose"))
"""
from avatars.signer.fingerspelling import fingerspell
from avatars.signer.lexicon import LANGUAGES, Lexicon, LexiconEntry, LexiconError, load_lexicon
from avatars.signer.metric import handshape_distance
from avatars.signer.poses import PoseFileError, read_pose, write_pose

__all__ = ["LANGUAGES", "Lexicon", "LexiconEntry", "LexiconError", "PoseFileError", "fingerspell",
           "handshape_distance", "load_lexicon", "read_pose", "write_pose"]
