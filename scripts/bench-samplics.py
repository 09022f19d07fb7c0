"""Times Python samplics (PyPI, 0.6.0) on a Fay-Herriot REML fit and prediction with MSE for
1,000 areas of the design of crates/small-area/benches/fay_herriot.rs (numpy draws, not the same
numbers). Not a test dependency. Usage: pip install samplics==0.6.0 && python3 scripts/bench-samplics.py"""
import warnings, time; warnings.filterwarnings("ignore")
import numpy as np
from samplics.sae import EblupAreaModel
from samplics.utils.types import FitMethod
rng=np.random.default_rng(7); m=1000
X=rng.random((m,3)); theta=0.5+0.3*X[:,0]-0.2*X[:,1]+0.1*X[:,2]+0.05*rng.standard_normal(m)
v=0.0005+0.01*rng.random(m); y=theta+np.sqrt(v)*rng.standard_normal(m); area=np.arange(m)
times=[]
for r in range(3):
    t=time.perf_counter()
    fh=EblupAreaModel(method=FitMethod.reml); fh.fit(yhat=y,X=X,area=area,error_std=np.sqrt(v),intercept=True,tol=1e-8)
    fh.predict(X=X,area=area,intercept=True)
    times.append(time.perf_counter()-t)
print("samplics REML fit+predict 1000 areas: min %.3f s over %d runs"%(min(times),len(times)), fh.convergence)
