/** placeholder, replaced by the rollout module */
export {}
